"""The HTTP API: push URLs, search the store, health and metrics (`app.create_app`)."""
