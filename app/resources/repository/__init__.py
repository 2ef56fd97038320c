"""The statements every resource shares, whatever its table."""
