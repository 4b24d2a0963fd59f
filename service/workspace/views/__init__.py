"""The workspace's pages, one module per page or group (listed in service.workspace.routes)."""
