"""triptych.datasets: verified downloads, safe extraction, the dataset catalog and the CLI."""
