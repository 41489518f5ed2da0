<?php
/**
 * Generates wp-plugin-shim/languages/goldcoin.pot from the plugin's PHP sources (no WP-CLI here): every
 * gettext call with the goldcoin text domain, plus the plugin header's translatable fields.
 * Usage: php scripts/wp-make-pot.php [plugin-dir] [--check]
 * With --check it writes nothing and exits 1 when the .pot on disk differs from what the sources give.
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

const GOLDCOIN_DOMAIN = 'goldcoin';
/** Each gettext function and the role of its arguments, in order, up to the domain. */
const GOLDCOIN_KEYWORDS = array(
	'__'                   => array( 'msgid', 'domain' ),
	'_e'                   => array( 'msgid', 'domain' ),
	'esc_html__'           => array( 'msgid', 'domain' ),
	'esc_html_e'           => array( 'msgid', 'domain' ),
	'esc_attr__'           => array( 'msgid', 'domain' ),
	'esc_attr_e'           => array( 'msgid', 'domain' ),
	'_x'                   => array( 'msgid', 'msgctxt', 'domain' ),
	'_ex'                  => array( 'msgid', 'msgctxt', 'domain' ),
	'esc_html_x'           => array( 'msgid', 'msgctxt', 'domain' ),
	'esc_attr_x'           => array( 'msgid', 'msgctxt', 'domain' ),
	'_n'                   => array( 'msgid', 'msgid_plural', null, 'domain' ),
	'_nx'                  => array( 'msgid', 'msgid_plural', null, 'msgctxt', 'domain' ),
	'_n_noop'              => array( 'msgid', 'msgid_plural', 'domain' ),
	'_nx_noop'             => array( 'msgid', 'msgid_plural', 'msgctxt', 'domain' ),
);
/** Plugin header fields WordPress translates with the plugin's domain. */
const GOLDCOIN_HEADERS = array( 'Plugin Name', 'Description', 'Author' );

$goldcoin_args  = array_slice( $argv, 1 );
$goldcoin_check = in_array( '--check', $goldcoin_args, true );
$goldcoin_dirs  = array_values( array_filter( $goldcoin_args, static fn ( string $a ): bool => '--check' !== $a ) );
$goldcoin_dir   = rtrim( $goldcoin_dirs[0] ?? dirname( __DIR__ ) . '/wp-plugin-shim', '/' );
$goldcoin_out   = $goldcoin_dir . '/languages/goldcoin.pot';

/** The value of a PHP string literal token, or null for anything that is not one plain literal. */
function goldcoin_literal( array $tokens ): ?string {
	if ( 1 !== count( $tokens ) || ! is_array( $tokens[0] ) || T_CONSTANT_ENCAPSED_STRING !== $tokens[0][0] ) {
		return null;
	}
	$text = $tokens[0][1];
	if ( "'" === $text[0] ) {
		return strtr( substr( $text, 1, -1 ), array( "\\'" => "'", '\\\\' => '\\' ) );
	}
	return stripcslashes( substr( $text, 1, -1 ) );
}

/** Splits a call's argument tokens at top-level commas. */
function goldcoin_arguments( array $tokens, int $open ): array {
	$args  = array( array() );
	$depth = 0;
	for ( $i = $open + 1, $n = count( $tokens ); $i < $n; $i++ ) {
		$t = $tokens[ $i ];
		$c = is_array( $t ) ? $t[1] : $t;
		if ( in_array( $c, array( '(', '[', '{' ), true ) || ( is_array( $t ) && in_array( $t[0], array( T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES ), true ) ) ) {
			$depth++;
		} elseif ( in_array( $c, array( ')', ']', '}' ), true ) ) {
			if ( 0 === $depth ) {
				break;
			}
			$depth--;
		} elseif ( ',' === $c && 0 === $depth ) {
			$args[] = array();
			continue;
		}
		if ( is_array( $t ) && in_array( $t[0], array( T_WHITESPACE, T_COMMENT, T_DOC_COMMENT ), true ) ) {
			continue;
		}
		$args[ count( $args ) - 1 ][] = $t;
	}
	return $args;
}

/** The "translators:" comment just before a call, if any. */
function goldcoin_translator_comment( array $tokens, int $at ): ?string {
	for ( $i = $at - 1, $seen = 0; $i >= 0 && $seen < 12; $i--, $seen++ ) {
		$t = $tokens[ $i ];
		if ( is_array( $t ) && in_array( $t[0], array( T_COMMENT, T_DOC_COMMENT ), true ) ) {
			if ( preg_match( '#translators:\s*(.+?)\s*(\*/)?$#s', $t[1], $m ) ) {
				return trim( preg_replace( '/\s+/', ' ', $m[1] ) );
			}
			return null;
		}
	}
	return null;
}

/** @return array<string, array{msgctxt:?string,msgid:string,msgid_plural:?string,refs:string[],comments:string[]}> */
function goldcoin_extract( string $dir ): array {
	$entries = array();
	$files   = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $dir, FilesystemIterator::SKIP_DOTS ) );
	$paths   = array();
	foreach ( $files as $file ) {
		if ( 'php' === $file->getExtension() ) {
			$paths[] = $file->getPathname();
		}
	}
	sort( $paths, SORT_STRING );
	$add = static function ( array $e, string $ref, ?string $comment ) use ( &$entries ): void {
		$key = ( $e['msgctxt'] ?? '' ) . "\x04" . $e['msgid'];
		if ( ! isset( $entries[ $key ] ) ) {
			$entries[ $key ] = $e + array( 'refs' => array(), 'comments' => array() );
		}
		// File names only: a line number would make every edit that moves a string a change to the catalogue.
		$file = preg_replace( '/:\d+$/', '', $ref );
		if ( ! in_array( $file, $entries[ $key ]['refs'], true ) ) {
			$entries[ $key ]['refs'][] = $file;
		}
		if ( null !== $comment && ! in_array( $comment, $entries[ $key ]['comments'], true ) ) {
			$entries[ $key ]['comments'][] = $comment;
		}
	};
	foreach ( $paths as $path ) {
		$relative = substr( $path, strlen( $dir ) + 1 );
		$source   = (string) file_get_contents( $path );
		if ( 'goldcoin.php' === $relative ) {
			foreach ( GOLDCOIN_HEADERS as $header ) {
				if ( preg_match( '/^[ \t\/*#@]*' . preg_quote( $header, '/' ) . ':\s*(.+)$/mi', $source, $m ) ) {
					$add( array( 'msgctxt' => null, 'msgid' => trim( $m[1] ), 'msgid_plural' => null ), $relative, 'Plugin header: ' . $header );
				}
			}
		}
		$tokens = token_get_all( $source );
		foreach ( $tokens as $i => $t ) {
			if ( ! is_array( $t ) || T_STRING !== $t[0] || ! isset( GOLDCOIN_KEYWORDS[ $t[1] ] ) ) {
				continue;
			}
			$prev = $tokens[ $i - 1 ] ?? null;
			if ( is_array( $prev ) && in_array( $prev[0], array( T_OBJECT_OPERATOR, T_DOUBLE_COLON, T_FUNCTION ), true ) ) {
				continue;
			}
			$open = $i + 1;
			while ( isset( $tokens[ $open ] ) && is_array( $tokens[ $open ] ) && T_WHITESPACE === $tokens[ $open ][0] ) {
				$open++;
			}
			if ( ( $tokens[ $open ] ?? null ) !== '(' ) {
				continue;
			}
			$args  = goldcoin_arguments( $tokens, $open );
			$entry = array( 'msgctxt' => null, 'msgid' => null, 'msgid_plural' => null );
			$ok    = true;
			foreach ( GOLDCOIN_KEYWORDS[ $t[1] ] as $n => $role ) {
				if ( null === $role ) {
					continue;
				}
				$value = goldcoin_literal( $args[ $n ] ?? array() );
				if ( 'domain' === $role ) {
					$ok = $ok && GOLDCOIN_DOMAIN === $value;
				} elseif ( null === $value ) {
					$ok = false;
				} else {
					$entry[ $role ] = $value;
				}
			}
			if ( $ok && '' !== (string) $entry['msgid'] ) {
				$add( $entry, $relative . ':' . $t[2], goldcoin_translator_comment( $tokens, $i ) );
			}
		}
	}
	ksort( $entries, SORT_STRING );
	return $entries;
}

function goldcoin_po_quote( string $text ): string {
	return '"' . addcslashes( $text, "\0..\37\"\\" ) . '"';
}

function goldcoin_pot( array $entries ): string {
	$out = "# Translation template of the Gold Coins plugin, generated by scripts/wp-make-pot.php (npm run i18n:pot).\n"
		. "msgid \"\"\nmsgstr \"\"\n"
		. "\"Project-Id-Version: Gold Coins\\n\"\n"
		. "\"MIME-Version: 1.0\\n\"\n"
		. "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
		. "\"Content-Transfer-Encoding: 8bit\\n\"\n"
		. "\"X-Domain: goldcoin\\n\"\n";
	foreach ( $entries as $e ) {
		$out .= "\n";
		foreach ( $e['comments'] as $comment ) {
			$out .= '#. ' . $comment . "\n";
		}
		$out .= '#: ' . implode( ' ', $e['refs'] ) . "\n";
		if ( str_contains( $e['msgid'] . ( $e['msgid_plural'] ?? '' ), '%' ) ) {
			$out .= "#, php-format\n";
		}
		if ( null !== $e['msgctxt'] ) {
			$out .= 'msgctxt ' . goldcoin_po_quote( $e['msgctxt'] ) . "\n";
		}
		$out .= 'msgid ' . goldcoin_po_quote( $e['msgid'] ) . "\n";
		if ( null !== $e['msgid_plural'] ) {
			$out .= 'msgid_plural ' . goldcoin_po_quote( $e['msgid_plural'] ) . "\nmsgstr[0] \"\"\nmsgstr[1] \"\"\n";
		} else {
			$out .= "msgstr \"\"\n";
		}
	}
	return $out;
}

$goldcoin_pot = goldcoin_pot( goldcoin_extract( $goldcoin_dir ) );
if ( $goldcoin_check ) {
	$goldcoin_current = is_file( $goldcoin_out ) ? (string) file_get_contents( $goldcoin_out ) : '';
	if ( $goldcoin_current !== $goldcoin_pot ) {
		fwrite( STDERR, "$goldcoin_out is stale: run npm run i18n:pot\n" );
		exit( 1 );
	}
	echo "$goldcoin_out is up to date\n";
	exit( 0 );
}
file_put_contents( $goldcoin_out, $goldcoin_pot );
echo "$goldcoin_out: " . substr_count( $goldcoin_pot, "\nmsgid " ) . " messages\n";
