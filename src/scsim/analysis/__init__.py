"""Reading results: paired comparisons, replication statistics and the published figures
that scenarios are checked against."""
