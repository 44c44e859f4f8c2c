"""Product image uploads: type sniffing, storage backends and the public /media route."""
