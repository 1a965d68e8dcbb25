"""What must outlive a run: decisions, applied merges, seen webhook ids, locks, shared limits."""
