"""The webhook sink: each enriched article POSTed, signed, to the receivers a deployment names."""
