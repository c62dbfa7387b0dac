"""The adapters every layer above needs: the event store (the library's PostgreSQL recorder
with our command log), the signed transparency log over the events, the database wiring
(URL or embedded server), settings, serialised table creation and logging. They import the
domain only."""
