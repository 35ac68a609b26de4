"""HTTP for clients: routes per resource, problem+json errors, health."""
