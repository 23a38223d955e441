"""Pure codecs: Notion values <-> frontmatter, rich text <-> inline markdown, page bodies."""
