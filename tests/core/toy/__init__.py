"""A toy module that plugs into ssckit the way every module does (see docs/architecture.md)."""
