"""Built-in scheduling policies. ``builtin_policies()`` registers them all."""
