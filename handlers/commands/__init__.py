"""The staff command channel: grammar, the routing table, and the handlers."""
