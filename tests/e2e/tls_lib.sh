# TLS helpers for the end-to-end tests: sourced after lib.sh, not run.
#
# A throwaway certificate; HTTPS servers (openssl s_server, nginx, and
# gnutls-serv, which has no OpenSSL in it) that start after the capture and are
# told nothing; clients (curl, python3's ssl, openssl s_client, gnutls-cli)
# that check their answers; and what a test checks in a saved capture, read
# from the file alone: decrypted HTTP, and TLS sessions with their secrets in
# Decryption Secrets Blocks (pcapng_secrets.py).

for tool in openssl nginx gnutls-serv gnutls-cli curl tshark python3; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (build.sh installs it)"
done

# Wireshark reads TLS on port 443 as HTTPS without being told: the servers
# listen there so that no decode-as is needed.
HTTPS_PORT=443

# A self-signed certificate and its key, valid for a day, for every name and
# address a test server uses: $CERT and $KEY.
tls_make_cert() {
	CERT=$WORK/cert.pem
	KEY=$WORK/key.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=ecap.test \
		-addext subjectAltName=DNS:ecap.test,IP:198.18.0.2,IP:198.18.0.3,IP:fd00:0:0:0:0:0:0:3,IP:127.0.0.1 \
		-keyout "$KEY" -out "$CERT" 2>"$WORK/openssl-req.log" ||
		fail "could not make a certificate: $(cat "$WORK/openssl-req.log")"
}

# Waits until a TCP socket listens on ADDR:PORT in namespace NS, without
# connecting to it (a probe connection would be one more session in the
# capture). PID is the server, whose death ends the wait early.
wait_for_listen() { # NS ADDR PORT PID LOG
	local ns=$1 addr=$2 port=$3 pid=$4 log=$5
	for _ in $(seq 200); do
		ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -F "$addr:$port" >/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || fail "server on $addr:$port died: $(tail -5 "$log")"
		sleep 0.05
	done
	fail "nothing listens on $addr:$port after 10 s: $(tail -5 "$log")"
}

# openssl s_server as a web server in namespace NS on ADDR:443. -HTTP: a
# request for /NAME is answered with the file ./NAME, a whole HTTP response;
# tls_www_page makes one with a Content-Length (tshark 4.0 never shows a
# response over TLS whose body ends with the connection, as -WWW sends them).
# s_server closes the connection after each response. Sets $S_SERVER.
tls_start_s_server() { # NS ADDR [S_SERVER_OPTIONS...]
	local ns=$1 addr=$2
	shift 2
	mkdir -p "$WORK/www"
	(cd "$WORK/www" && exec ip netns exec "$ns" openssl s_server -accept "$addr:$HTTPS_PORT" \
		-cert "$CERT" -key "$KEY" -HTTP "$@") >"$WORK/s_server.log" 2>&1 </dev/null &
	S_SERVER=$!
	started $S_SERVER
	wait_for_listen "$ns" "$addr" $HTTPS_PORT $S_SERVER "$WORK/s_server.log"
}

# A page for s_server: a request for /NAME gets "200 OK" and the body "hello".
tls_www_page() { # NAME
	mkdir -p "$WORK/www"
	printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n' \
		>"$WORK/www/$1"
}

# gnutls-serv, a server without OpenSSL (ecap-tls takes no secrets from it),
# in namespace NS on every address, port 443: every request is answered
# "hello". Sets $GNUTLS_SERV.
tls_start_gnutls_serv() { # NS
	local ns=$1
	printf 'hello\n' >"$WORK/gnutls-serv.data"
	ip netns exec "$ns" gnutls-serv --http --httpdata="$WORK/gnutls-serv.data" -p $HTTPS_PORT \
		--x509certfile="$CERT" --x509keyfile="$KEY" >"$WORK/gnutls-serv.log" 2>&1 </dev/null &
	GNUTLS_SERV=$!
	started $GNUTLS_SERV
	wait_for_listen "$ns" "" $HTTPS_PORT $GNUTLS_SERV "$WORK/gnutls-serv.log"
}

# nginx in namespace NS on ADDR:443 (and [ADDR6]:443 if given), every URI
# answered "hello". One process, no daemon, every file it writes in $WORK:
# nothing of the system's nginx (/etc/nginx, /var/log/nginx) is used.
# Sets $NGINX.
tls_start_nginx() { # NS ADDR [ADDR6]
	local ns=$1 addr=$2 addr6=${3:-} dir=$WORK/nginx
	mkdir -p "$dir"
	tls_nginx_conf "$dir" "listen $addr:$HTTPS_PORT ssl;${addr6:+ listen [$addr6]:$HTTPS_PORT ssl;}" \
		"master_process off; worker_processes 1;"
	ip netns exec "$ns" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
		>"$dir/stdout.log" 2>&1 </dev/null &
	NGINX=$!
	started $NGINX
	wait_for_listen "$ns" "$addr" $HTTPS_PORT $NGINX "$dir/error.log"
}

# Writes DIR/nginx.conf: LISTEN are the listen directives, MAIN extra
# main-context directives.
tls_nginx_conf() { # DIR LISTEN MAIN
	local dir=$1
	mkdir -p "$dir/tmp"
	cat >"$dir/nginx.conf" <<-EOF
		daemon off;
		user root;
		$3
		pid $dir/nginx.pid;
		lock_file $dir/nginx.lock;
		error_log $dir/error.log;
		events { worker_connections 1024; }
		http {
			access_log off;
			client_body_temp_path $dir/tmp/body;
			proxy_temp_path $dir/tmp/proxy;
			fastcgi_temp_path $dir/tmp/fastcgi;
			uwsgi_temp_path $dir/tmp/uwsgi;
			scgi_temp_path $dir/tmp/scgi;
			keepalive_requests 1000000;
			server {
				$2
				ssl_certificate $CERT;
				ssl_certificate_key $KEY;
				ssl_protocols TLSv1.2 TLSv1.3;
				ssl_session_cache shared:ecap:1m;
				location / {
					default_type text/plain;
					return 200 "hello\n";
				}
			}
		}
	EOF
}

# The HTTP requests and responses tshark decrypts from FILE in one pass with
# nothing but the file (no key log, no -2): one line per HTTP message,
#   request URI        for a request
#   response URI CODE BODY   for a response (URI is the request it answers)
tls_http_messages() { # FILE
	tshark -r "$1" -Y http -T fields -E separator=' ' -e http.request.uri \
		-e http.response_for.uri -e http.response.code -e http.file_data 2>"$WORK/tshark-http.log" |
		awk '$1 != "" && NF == 1 { print "request", $1; next }
			NF >= 2 {
				sub(/^[a-z]+:\/\/[^\/]*/, "", $1)	# the URI of the request, without scheme and host
				sub(/\\n$/, "", $3)			# tshark shows the newline of the body as \n
				print "response", $1, $2, $3
			}'
}

# Checks the decrypted HTTP messages (tls_http_messages) against EXPECTED,
# lines of "URI COUNT": COUNT requests for each URI, and COUNT responses to
# them, each 200 with the body "hello"; nothing else. Fails with every URI that
# differs. Sets $REQUESTS to the number of requests expected.
tls_assert_http() { # MESSAGES_FILE EXPECTED_FILE
	local messages=$1 uri count req resp problems=""
	REQUESTS=0
	while read -r uri count; do
		req=$(grep -cxF "request $uri" "$messages" || true)
		resp=$(grep -cxF "response $uri 200 hello" "$messages" || true)
		[ "$req" -eq "$count" ] && [ "$resp" -eq "$count" ] ||
			problems+=" $uri: $count made, $req requests and $resp '200 hello' responses decrypted;"
		REQUESTS=$((REQUESTS + count))
	done <"$2"
	[ -z "$problems" ] || fail "HTTP in the capture:$problems"
	req=$(grep -c '^request ' "$messages" || true)
	resp=$(grep -c '^response ' "$messages" || true)
	[ "$req" -eq $REQUESTS ] && [ "$resp" -eq $REQUESTS ] ||
		fail "$req HTTP requests and $resp responses decrypted, $REQUESTS of each made"
}

# Clients. Each makes its requests to the server at ADDR (port 443), checks
# that every answer is "hello", and gives up after 20 s. They run in namespace
# NS; TLS_CLIENT_ENV (assignments such as LD_LIBRARY_PATH=DIR) goes into their
# environment. curl and python3 note their local port and what they did in
# $WORK/client-ports, so that a failure can name the client of a session.
TLS_CLIENT_ENV=()

# curl, HTTP/1.1, every URL on one connection; CURL_OPTIONS pick the TLS version.
tls_curl() { # NS URL... [-- CURL_OPTIONS...]
	local ns=$1 urls=() out
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		urls+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	out=$(ip netns exec "$ns" env "${TLS_CLIENT_ENV[@]}" curl -sS --max-time 20 --http1.1 \
		--cacert "$CERT" -w '%{local_port}\n' "$@" "${urls[@]}" 2>&1) ||
		fail "curl $* ${urls[*]}: $out"
	[ "$(grep -v '^[0-9]*$' <<<"$out")" = "$(printf 'hello\n%.0s' "${urls[@]}")" ] ||
		fail "curl $* ${urls[*]}: unexpected answer: $out"
	grep -x '[0-9]*' <<<"$out" | tail -1 | sed "s|\$| curl $* ${urls[*]}|" >>"$WORK/client-ports"
}

# python3's ssl through http.client: the URIs on one connection. MAX is the
# highest TLS version (1.2 or 1.3). If MAPS is given, the paths of the libssl
# and libcrypto the process mapped are written there.
tls_python() { # NS ADDR MAX MAPS URI...
	local ns=$1
	shift
	ip netns exec "$ns" env "${TLS_CLIENT_ENV[@]}" timeout 30 python3 - "$CERT" "$@" \
		2>"$WORK/python.log" <<-'EOF' || fail "python3 client $*: $(tail -5 "$WORK/python.log")"
		import http.client, ssl, sys
		cafile, addr, maxver, maps = sys.argv[1:5]
		ctx = ssl.create_default_context(cafile=cafile)
		if maxver == "1.2":
		    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
		conn = http.client.HTTPSConnection(addr, 443, context=ctx, timeout=20)
		conn.connect()
		print(conn.sock.getsockname()[1], "python3", maxver, *sys.argv[5:], file=sys.stderr)
		for uri in sys.argv[5:]:
		    conn.request("GET", uri, headers={"Host": "ecap.test"})
		    resp = conn.getresponse()
		    body = resp.read()
		    if resp.status != 200 or body != b"hello\n":
		        sys.exit(f"{uri}: {resp.status} {body!r}")
		if maps != "-":
		    with open("/proc/self/maps") as src, open(maps, "w") as dst:
		        paths = {l.split()[-1] for l in src if "/libssl" in l or "/libcrypto" in l}
		        dst.write("".join(p + "\n" for p in sorted(paths)))
		conn.close()
	EOF
	tail -1 "$WORK/python.log" >>"$WORK/client-ports"
}

# openssl s_client sends one HTTP/1.1 request for URI and waits for the server
# to close; its output (session details: "New" or "Reused") goes to LOG.
tls_s_client() { # NS ADDR URI LOG [S_CLIENT_OPTIONS...]
	local ns=$1 addr=$2 uri=$3 log=$4
	shift 4
	printf 'GET %s HTTP/1.1\r\nHost: ecap.test\r\nConnection: close\r\n\r\n' "$uri" |
		ip netns exec "$ns" env "${TLS_CLIENT_ENV[@]}" timeout 20 openssl s_client \
			-connect "$addr:$HTTPS_PORT" -CAfile "$CERT" -verify_return_error -ign_eof "$@" \
			>"$log" 2>&1 || fail "s_client $* $uri: $(tail -5 "$log")"
	grep -qx hello "$log" || fail "s_client $* $uri: no hello in the answer: $(tail -5 "$log")"
}

# gnutls-cli, a client without OpenSSL, sends one HTTP/1.1 request for URI;
# its output goes to LOG. With -r it first makes a handshake alone, then
# resumes that session for the request.
tls_gnutls_cli() { # NS ADDR URI LOG [GNUTLS_CLI_OPTIONS...]
	local ns=$1 addr=$2 uri=$3 log=$4
	shift 4
	printf 'GET %s HTTP/1.1\r\nHost: ecap.test\r\nConnection: close\r\n\r\n' "$uri" |
		ip netns exec "$ns" timeout 20 gnutls-cli --x509cafile="$CERT" -p $HTTPS_PORT "$@" "$addr" \
			>"$log" 2>&1 || fail "gnutls-cli $* $uri: $(tail -5 "$log")"
	grep -qx hello "$log" || fail "gnutls-cli $* $uri: no hello in the answer: $(tail -5 "$log")"
}

# The TLS sessions of FILE checked against its Decryption Secrets Blocks
# (pcapng_secrets.py check): prints "handshakes=N with_secrets=N ...", fails on
# any session without its secrets in time.
tls_check_secrets() { # FILE
	touch "$WORK/client-ports"
	python3 "$E2E_DIR/pcapng_secrets.py" check "$1" >"$WORK/secrets-check.txt" 2>&1 ||
		fail "TLS secrets in $(basename "$1"): $(awk 'FILENAME == ARGV[1] { client[$1] = $0; next }
			match($0, /from port [0-9]+/) {
				port = substr($0, RSTART + 10, RLENGTH - 10)
				if (port in client) $0 = $0 " [client: " client[port] "]"
			}
			FNR <= 30' "$WORK/client-ports" "$WORK/secrets-check.txt")"
	tail -1 "$WORK/secrets-check.txt"
}

# The key log lines of FILE's Decryption Secrets Blocks, sorted.
tls_dsb_lines() { # FILE
	python3 "$E2E_DIR/pcapng_secrets.py" lines "$1" | sort
}

# Three sessions of one OpenSSL build, made with CLIENT, a function taking
# URI LOG [S_CLIENT_OPTIONS...]: TLS 1.3, TLS 1.2, and that TLS 1.2 session
# resumed through the file SESSION (as the client names it).
tls_three_sessions() { # CLIENT SESSION
	local uri
	for uri in tls13 tls12 tls12-resumed; do
		tls_www_page $uri
	done
	"$1" /tls13 "$WORK/tls13.log" -tls1_3
	"$1" /tls12 "$WORK/tls12.log" -tls1_2 -sess_out "$2"
	"$1" /tls12-resumed "$WORK/resumed.log" -tls1_2 -sess_in "$2"
	grep -q '^Reused' "$WORK/resumed.log" || fail "the TLS 1.2 session was not resumed"
}

# After tls_three_sessions, in the capture's FILE and its LOG (-v): a library
# whose "taking secrets" line matches PATTERN was hooked, and the file alone
# decrypts the three requests and responses, each session with its secrets.
tls_assert_three_sessions() { # FILE LOG PATTERN
	local check
	grep "taking secrets from" "$2" | grep -q "$3" ||
		fail "no library matching '$3' was hooked: $(grep -iE 'secrets|skipping' "$2")"
	grep "taking secrets from" "$2" | grep "$3"
	printf '%s 1\n' /tls13 /tls12 /tls12-resumed >"$WORK/expected"
	tls_http_messages "$1" >"$WORK/messages"
	tls_assert_http "$WORK/messages" "$WORK/expected"
	check=$(tls_check_secrets "$1")
	echo "$check"
	grep -q 'handshakes=3 with_secrets=3' <<<"$check" || fail "sessions: $check"
}
