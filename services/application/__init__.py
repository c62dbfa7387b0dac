"""The application layer: command models, one handler per command, and the one executor
that every entry point (API, CLI, import, demo, workflow activities) runs commands through.

It imports the domain and the adapters; the projections, the workflows and the edges import
it. Nothing in here knows about HTTP, Temporal or the command line."""
