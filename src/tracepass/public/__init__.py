"""The public side of a passport: GS1 Digital Link resolver, viewer, access grants, QR."""
