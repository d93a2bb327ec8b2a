DROP TABLE cursor_secrets;
