$'\x63\u0075\162l' https://a.example; c\
url b.example; "cu"'r'l c.example; /usr/bin/c?rl d