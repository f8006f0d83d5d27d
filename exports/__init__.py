"""PDF and spreadsheet output, read from the store."""
