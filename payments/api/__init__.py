"""The merchant REST API (/api/v1/): API-key auth, idempotent POSTs, one error shape."""
