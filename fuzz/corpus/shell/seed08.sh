cat <<EOF | sh
`id` $HOME $(date)
EOF
