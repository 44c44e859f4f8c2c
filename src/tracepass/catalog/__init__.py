"""Category catalogue: field templates per product category, versions, validation."""
