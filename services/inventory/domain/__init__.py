"""Sources of assistance, their windows and ledger, and who may manage them. No I/O."""
