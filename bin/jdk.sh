# Sourced by bin/tailbus and ./mvnw: finds a JDK 25 or newer and exports JAVA_HOME.
#
# Order: JAVA_HOME, the java on PATH, then the usual install folders. A JDK is
# recognised by its `release` file, so no JVM is started to ask its version.

tailbus_jdk_major() {
  # Sets tailbus_major to the feature version of the JDK at $1; fails if it is not a JDK. Uses
  # the shell's own read and no command substitution, so that no process is started: the
  # launcher calls this at every start.
  tailbus_major=""
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] || return 1
  while IFS= read -r tailbus_line || [ -n "$tailbus_line" ]; do
    case $tailbus_line in
      JAVA_VERSION=\"[0-9]*)
        tailbus_line=${tailbus_line#JAVA_VERSION=\"}
        tailbus_major=${tailbus_line%%[!0-9]*}
        return 0 ;;
    esac
  done < "$1/release"
  return 1
}

tailbus_use_jdk() {
  tailbus_min=25
  tailbus_found=""
  tailbus_found_major=0
  tailbus_path_java=""
  # A JAVA_HOME that is new enough wins: taken before looking at PATH, which costs a process.
  if [ -n "${JAVA_HOME:-}" ] && tailbus_jdk_major "$JAVA_HOME" 2>/dev/null && [ "$tailbus_major" -ge "$tailbus_min" ]; then
    export JAVA_HOME
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    tailbus_path_java=$(readlink -f "$(command -v java)" 2>/dev/null)
    tailbus_path_java=${tailbus_path_java%/bin/java}
  fi
  for tailbus_candidate in "${JAVA_HOME:-}" "$tailbus_path_java" \
      /usr/lib/jvm/* /usr/local/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -n "$tailbus_candidate" ] || continue
    tailbus_jdk_major "$tailbus_candidate" 2>/dev/null || continue
    # JAVA_HOME wins when it is new enough; otherwise take the newest found.
    if [ "$tailbus_candidate" = "${JAVA_HOME:-}" ] && [ "$tailbus_major" -ge "$tailbus_min" ]; then
      tailbus_found=$tailbus_candidate
      break
    fi
    if [ "$tailbus_major" -ge "$tailbus_min" ] && [ "$tailbus_major" -gt "$tailbus_found_major" ]; then
      tailbus_found=$tailbus_candidate
      tailbus_found_major=$tailbus_major
    fi
  done
  if [ -z "$tailbus_found" ]; then
    echo "tailbus: no JDK $tailbus_min or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one or set JAVA_HOME" >&2
    return 1
  fi
  JAVA_HOME=$tailbus_found
  export JAVA_HOME
}
