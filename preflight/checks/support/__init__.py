"""What more than one check family needs. A family module imports from here, never from another
family's module, and nothing here registers a check."""
