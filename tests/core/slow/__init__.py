"""A module whose steps can be told to hang, to kill a compute run at a chosen point."""
