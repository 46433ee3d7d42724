"""AWS plumbing the stores share (boto3 is imported here only when a store is used)."""
