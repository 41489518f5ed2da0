<?php
/**
 * Protected storage for EA files: an attached EA file is moved out of the public uploads tree so its
 * old URL serves nothing, and is reachable only through the signed download route.
 *
 * The directory is GOLDCOIN_PROTECTED_DIR when the site configures it (best: outside the web root).
 * Otherwise it is an unguessable folder under uploads with deny rules for Apache and IIS; nginx and
 * PHP's built-in server ignore those, which is why the constant is recommended.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Protected_Files {
	const DIR_OPTION = 'goldcoin_protected_dir_name';

	public static function register(): void {
		add_filter( 'wp_get_attachment_url', array( __CLASS__, 'hide_url' ), 10, 2 );
		add_action( 'delete_attachment', array( __CLASS__, 'delete_file' ) );
	}

	public static function directory(): string {
		$configured = Goldcoin_Settings::override( 'GOLDCOIN_PROTECTED_DIR' );
		if ( null !== $configured ) {
			return untrailingslashit( $configured );
		}
		$name = (string) get_option( self::DIR_OPTION, '' );
		if ( ! preg_match( '/^goldcoin-protected-[a-f0-9]{24}$/', $name ) ) {
			$name = 'goldcoin-protected-' . bin2hex( random_bytes( 12 ) );
			update_option( self::DIR_OPTION, $name, false );
		}
		return untrailingslashit( wp_get_upload_dir()['basedir'] ) . '/' . $name;
	}

	/** Resolved paths, so neither "../" in a stored path nor a symlink can point outside the folder. */
	public static function is_protected( string $path ): bool {
		$dir  = '' === $path ? false : realpath( self::directory() );
		$real = false === $dir ? false : realpath( $path );
		return false !== $real && str_starts_with( wp_normalize_path( $real ), trailingslashit( wp_normalize_path( $dir ) ) );
	}

	private static function ensure_directory( string $dir ): bool {
		if ( ! wp_mkdir_p( $dir ) ) {
			return false;
		}
		$guards = array(
			// Each directive only where its module is loaded: an unknown one is a 500 for the whole folder.
			'.htaccess'  => "<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n<IfModule !mod_authz_core.c>\nOrder deny,allow\nDeny from all\n</IfModule>\n",
			'web.config' => "<configuration><system.webServer><authorization><deny users=\"*\" /></authorization></system.webServer></configuration>\n",
			'index.php'  => "<?php\n// Silence is golden.\n",
		);
		foreach ( $guards as $file => $content ) {
			if ( ! file_exists( "$dir/$file" ) ) {
				file_put_contents( "$dir/$file", $content );
			}
		}
		return true;
	}

	/** Moves the attachment's file into protected storage; a file already there is left alone. */
	public static function protect( int $attachment_id ) {
		$path = (string) get_attached_file( $attachment_id, true );
		if ( self::is_protected( $path ) ) {
			return true;
		}
		if ( '' === $path || ! is_file( $path ) ) {
			return new WP_Error( 'goldcoin_missing_file', __( 'The EA file is missing from the uploads folder.', 'goldcoin' ) );
		}
		$dir = self::directory();
		if ( ! self::ensure_directory( $dir ) ) {
			return new WP_Error( 'goldcoin_protected_dir', __( 'The protected folder for EA files cannot be created.', 'goldcoin' ) );
		}
		// One folder per attachment keeps the uploaded name, which is the name buyers download.
		$folder = $dir . '/' . $attachment_id;
		if ( ! wp_mkdir_p( $folder ) ) {
			return new WP_Error( 'goldcoin_protected_dir', __( 'The protected folder for EA files cannot be created.', 'goldcoin' ) );
		}
		$target = $folder . '/' . wp_unique_filename( $folder, sanitize_file_name( wp_basename( $path ) ) );
		if ( ! @rename( $path, $target ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- the WP_Error below reports it
			return new WP_Error( 'goldcoin_move_failed', __( 'The EA file could not be moved to protected storage.', 'goldcoin' ) );
		}
		update_attached_file( $attachment_id, $target );
		return true;
	}

	/** A protected file has no public URL; links point at the attachment page instead. */
	public static function hide_url( $url, $attachment_id ) {
		// Absolute: inside uploads, WordPress stores the path relative to the uploads folder.
		$path = (string) get_attached_file( (int) $attachment_id, true );
		return self::is_protected( $path ) ? get_attachment_link( (int) $attachment_id ) : $url;
	}

	/** WordPress only deletes files inside uploads; protected files are ours to delete. */
	public static function delete_file( $attachment_id ): void {
		$path = (string) get_attached_file( (int) $attachment_id, true );
		if ( self::is_protected( $path ) && is_file( $path ) ) {
			wp_delete_file( $path );
			@rmdir( dirname( $path ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- the attachment's own folder, removed only when empty
		}
	}
}
