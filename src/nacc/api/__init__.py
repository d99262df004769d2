"""FastAPI delivery: thin routes over the service layer."""
