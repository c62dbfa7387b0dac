"""The edges of rectrack: settings, storage wiring, HTTP API, CLI, import/export, logging."""
