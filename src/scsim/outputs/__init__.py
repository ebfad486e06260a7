"""What a run produces: the daily metrics, the Result tables and the end-of-run summary."""
