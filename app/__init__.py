"""app: the one settings schema, the model hub, the workspace lifecycle (server and CLI)."""
