"""The adapters every layer above needs: the event store (the library's PostgreSQL recorder
with our hash chain and command log), the database wiring (URL or embedded server),
settings, serialised table creation, the integrity check and logging. They import the
domain only."""
