"""Running the app: the HTTP and Socket Mode servers, the sender, the answer queue and workers, background
work, metrics and health endpoints."""
