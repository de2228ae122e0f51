"""Use cases of the migration service and the ports they need."""
