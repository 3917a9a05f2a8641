"""Sources of assistance and the ledger of what they pledge, commit and disburse."""
