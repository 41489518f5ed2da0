<?php
/**
 * Scripted WordPress set-up without a browser or WP-CLI, for the end-to-end tests and the demo.
 * Usage: php scripts/wp-setup.php <host[:port]> < spec.json
 * The spec is {"install": {...}} or {"steps": [...]}; the result is printed as one line
 * "GOLDCOIN_RESULT <json>" so notices from WordPress cannot be mistaken for it.
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

ini_set( 'display_errors', 'stderr' );

$goldcoin_host = $argv[1] ?? '';
if ( ! preg_match( '/^[A-Za-z0-9.-]+(:[0-9]+)?$/', $goldcoin_host ) ) {
	fwrite( STDERR, "usage: php scripts/wp-setup.php <host[:port]> < spec.json\n" );
	exit( 2 );
}
$goldcoin_spec = json_decode( (string) stream_get_contents( STDIN ), true );
if ( ! is_array( $goldcoin_spec ) ) {
	fwrite( STDERR, "wp-setup: the spec on stdin is not JSON\n" );
	exit( 2 );
}

$_SERVER['HTTP_HOST']   = $goldcoin_host;
$_SERVER['SERVER_NAME'] = preg_replace( '/:.*/', '', $goldcoin_host );
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PORT'] = str_contains( $goldcoin_host, ':' ) ? substr( strrchr( $goldcoin_host, ':' ), 1 ) : '80';
if ( isset( $goldcoin_spec['install'] ) ) {
	define( 'WP_INSTALLING', true );
}
$wordpress_dir = getenv( 'GOLDCOIN_WORDPRESS_DIR' ) ?: '/usr/share/wordpress';
require $wordpress_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/media.php';

function goldcoin_fail( string $message ): void {
	fwrite( STDERR, "wp-setup: $message\n" );
	exit( 1 );
}

function goldcoin_install( array $o ): array {
	global $wpdb;
	// is_blog_installed() calls a database with only some WordPress tables broken; the options table decides.
	if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->options ) ) ) {
		goldcoin_fail( 'WordPress is already installed in this database' );
	}
	$result = wp_install( (string) $o['title'], (string) $o['admin_user'], (string) $o['admin_email'], false, '', (string) $o['admin_password'] );
	update_option( 'permalink_structure', '' );
	update_option( 'blog_public', '0' );
	update_option( 'timezone_string', 'UTC' );
	return array( 'admin_id' => (int) $result['user_id'] );
}

/** The block editor's welcome guide would cover the editor on a first visit. */
function goldcoin_quiet_editor( int $user_id ): void {
	global $wpdb;
	update_user_meta( $user_id, $wpdb->get_blog_prefix() . 'persisted_preferences', array( 'core/edit-post' => array( 'welcomeGuide' => false ), '_modified' => gmdate( 'c' ) ) );
}

function goldcoin_user( array $o ): array {
	$id = wp_insert_user(
		array(
			'user_login'   => (string) $o['login'],
			'user_pass'    => (string) $o['password'],
			'user_email'   => (string) $o['email'],
			'display_name' => (string) ( $o['name'] ?? $o['login'] ),
			'role'         => (string) ( $o['role'] ?? 'subscriber' ),
			'locale'       => (string) ( $o['locale'] ?? '' ),
		)
	);
	if ( is_wp_error( $id ) ) {
		goldcoin_fail( 'user ' . $o['login'] . ': ' . $id->get_error_message() );
	}
	goldcoin_quiet_editor( (int) $id );
	return array( 'id' => (int) $id );
}

function goldcoin_user_id( $login ): int {
	$user = get_user_by( 'login', (string) $login );
	if ( ! $user ) {
		goldcoin_fail( "no user $login" );
	}
	return (int) $user->ID;
}

function goldcoin_attachment( string $path, int $author, int $parent ): int {
	$bytes = file_get_contents( $path );
	if ( false === $bytes ) {
		goldcoin_fail( "cannot read $path" );
	}
	$upload = wp_upload_bits( wp_basename( $path ), null, $bytes );
	if ( ! empty( $upload['error'] ) ) {
		goldcoin_fail( 'upload: ' . $upload['error'] );
	}
	$type = wp_check_filetype( $upload['file'] )['type'];
	$id   = wp_insert_attachment(
		array(
			'post_title'     => wp_basename( $path ),
			'post_mime_type' => $type ? $type : 'application/octet-stream',
			'post_status'    => 'inherit',
			'post_author'    => $author,
			'guid'           => $upload['url'],
		),
		$upload['file'],
		$parent,
		true
	);
	if ( is_wp_error( $id ) ) {
		goldcoin_fail( 'attachment: ' . $id->get_error_message() );
	}
	wp_update_attachment_metadata( $id, wp_generate_attachment_metadata( $id, $upload['file'] ) );
	return (int) $id;
}

function goldcoin_post( array $o ): array {
	$author = isset( $o['author'] ) ? goldcoin_user_id( $o['author'] ) : 1;
	$id     = wp_insert_post(
		array(
			'post_title'   => (string) $o['title'],
			'post_content' => (string) ( $o['content'] ?? '' ),
			'post_status'  => (string) ( $o['status'] ?? 'publish' ),
			'post_type'    => (string) ( $o['type'] ?? 'post' ),
			'post_author'  => $author,
		),
		true
	);
	if ( is_wp_error( $id ) ) {
		goldcoin_fail( 'post: ' . $id->get_error_message() );
	}
	$result = array( 'id' => (int) $id, 'url' => get_permalink( $id ) );
	if ( isset( $o['price'] ) ) {
		update_post_meta( $id, '_goldcoin_price', (int) $o['price'] );
	}
	if ( isset( $o['ea_file'] ) ) {
		$file_id = goldcoin_attachment( (string) $o['ea_file'], $author, (int) $id );
		$moved   = Goldcoin_Protected_Files::protect( $file_id );
		if ( is_wp_error( $moved ) ) {
			goldcoin_fail( 'protect: ' . $moved->get_error_message() );
		}
		update_post_meta( $id, '_goldcoin_file', $file_id );
		$result['file_id'] = $file_id;
	}
	return $result;
}

if ( isset( $goldcoin_spec['install'] ) ) {
	$goldcoin_result = goldcoin_install( $goldcoin_spec['install'] );
} else {
	$goldcoin_result = array();
	foreach ( (array) ( $goldcoin_spec['steps'] ?? array() ) as $goldcoin_step ) {
		switch ( $goldcoin_step['op'] ?? '' ) {
			case 'activate':
				$goldcoin_done = activate_plugin( (string) $goldcoin_step['plugin'] );
				if ( is_wp_error( $goldcoin_done ) ) {
					goldcoin_fail( 'activate: ' . $goldcoin_done->get_error_message() );
				}
				$goldcoin_result[] = array( 'activated' => $goldcoin_step['plugin'] );
				break;
			case 'uninstall':
				deactivate_plugins( (string) $goldcoin_step['plugin'], true );
				uninstall_plugin( (string) $goldcoin_step['plugin'] );
				$goldcoin_result[] = array( 'uninstalled' => $goldcoin_step['plugin'] );
				break;
			case 'option':
				update_option( (string) $goldcoin_step['name'], $goldcoin_step['value'] );
				$goldcoin_result[] = array( 'option' => $goldcoin_step['name'] );
				break;
			case 'delete_option':
				delete_option( (string) $goldcoin_step['name'] );
				$goldcoin_result[] = array( 'deleted' => $goldcoin_step['name'] );
				break;
			case 'role':
				add_role( (string) $goldcoin_step['name'], (string) $goldcoin_step['display'], array_fill_keys( (array) $goldcoin_step['caps'], true ) );
				$goldcoin_result[] = array( 'role' => $goldcoin_step['name'] );
				break;
			case 'user':
				$goldcoin_result[] = goldcoin_user( $goldcoin_step );
				break;
			case 'user_update':
				// A user who registered through the site's own form: give them a known password, a locale.
				$goldcoin_update = array( 'ID' => goldcoin_user_id( $goldcoin_step['login'] ) );
				foreach ( array( 'password' => 'user_pass', 'locale' => 'locale' ) as $goldcoin_from => $goldcoin_to ) {
					if ( isset( $goldcoin_step[ $goldcoin_from ] ) ) {
						$goldcoin_update[ $goldcoin_to ] = (string) $goldcoin_step[ $goldcoin_from ];
					}
				}
				$goldcoin_updated = wp_update_user( $goldcoin_update );
				if ( is_wp_error( $goldcoin_updated ) ) {
					goldcoin_fail( 'user_update: ' . $goldcoin_updated->get_error_message() );
				}
				goldcoin_quiet_editor( (int) $goldcoin_updated );
				$goldcoin_result[] = array( 'id' => (int) $goldcoin_updated );
				break;
			case 'user_roles':
				$goldcoin_result[] = array( 'roles' => array_values( get_user_by( 'login', (string) $goldcoin_step['login'] )->roles ) );
				break;
			case 'quiet_editor':
				goldcoin_quiet_editor( goldcoin_user_id( $goldcoin_step['login'] ) );
				$goldcoin_result[] = array( 'quiet' => $goldcoin_step['login'] );
				break;
			case 'post':
				$goldcoin_result[] = goldcoin_post( $goldcoin_step );
				break;
			case 'token':
				wp_set_current_user( goldcoin_user_id( $goldcoin_step['login'] ) );
				$goldcoin_result[] = array( 'token' => Goldcoin_Tokens::mint_for_current_user( (int) ( $goldcoin_step['post'] ?? 0 ), (string) ( $goldcoin_step['scope'] ?? 'visitor' ) ) );
				break;
			default:
				goldcoin_fail( 'unknown step ' . wp_json_encode( $goldcoin_step ) );
		}
	}
}
echo 'GOLDCOIN_RESULT ' . wp_json_encode( $goldcoin_result, JSON_UNESCAPED_SLASHES ) . "\n";
