"""What articles, entities, tags and authors share: look-up by id, slug or former slug;
slugs and redirects; versions; pages; resources found by name."""
