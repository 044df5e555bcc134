"""Customers backing designers: tips, follows, ratings, the designers' ledger and their statements."""
