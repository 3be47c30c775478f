"""An example third-party Fluke plugin: storage kept in process memory."""
