"""Adapters: IO behind the ports (stores, dispatchers). Import domain and ports only."""
