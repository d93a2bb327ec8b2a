DROP TABLE published_counts;
