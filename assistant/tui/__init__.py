"""The terminal chat front end (Textual). Widgets never touch models or the store; they
call the shared Pipeline from worker threads."""
