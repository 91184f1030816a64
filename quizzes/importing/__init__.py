"""Question importers: each format is parsed (no database) into ``ParsedQuestion`` rows with their own
errors, so that the organiser sees a row-by-row preview and nothing is imported until the file is clean."""
