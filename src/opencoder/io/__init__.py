"""Reading and writing documents as Arrow tables."""
