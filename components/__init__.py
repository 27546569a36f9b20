"""Pulumi ComponentResources for Stan Store Windsurf, one concern per module (see docs/infra.md)."""
