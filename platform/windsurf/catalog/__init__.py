"""The catalog: a creator's products (downloads, lead magnets, links, coaching), their files and leads."""
