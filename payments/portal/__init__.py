"""Customer portal pages that show money and face use (/me/)."""
