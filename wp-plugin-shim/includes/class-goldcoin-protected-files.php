<?php
/**
 * Protected storage for EA files: an attached EA file is moved out of the public uploads tree, outside
 * the web root whenever the site allows it, and is reachable only through the signed download route.
 *
 * Where: GOLDCOIN_PROTECTED_DIR when the site configures it; otherwise a folder chosen once (and
 * remembered) beside the content directory or above WordPress, whichever is outside every folder a web
 * server serves; only when neither is writable, an unguessable folder under uploads with deny rules
 * (which nginx and PHP's built-in server ignore, so the settings page says so). Every folder ever used is
 * remembered, and when the folder changes the files move into the new one, so an old location never
 * keeps a copy a server might hand out.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Protected_Files {
	/** The folder chosen when no constant names one (absolute path). */
	const DIR_OPTION = 'goldcoin_protected_dir';
	/** Every folder that has ever held protected files, oldest first; the last is where files live now. */
	const HISTORY_OPTION = 'goldcoin_protected_dirs';
	/** The uploads sub-folder name earlier versions kept files in. */
	const LEGACY_OPTION = 'goldcoin_protected_dir_name';
	/** Set on each attachment this moved, so it stays hidden whatever later happens to folders and options. */
	const MARK_META = '_goldcoin_protected';
	const LOCK      = 'goldcoin_protected_move_lock';
	const LOCK_S    = 60;

	public static function register(): void {
		add_filter( 'wp_get_attachment_url', array( __CLASS__, 'hide_url' ), 10, 2 );
		add_action( 'delete_attachment', array( __CLASS__, 'delete_file' ) );
		add_action( 'init', array( __CLASS__, 'follow_directory_change' ), 1 );
	}

	public static function directory(): string {
		$configured = Goldcoin_Settings::override( 'GOLDCOIN_PROTECTED_DIR' );
		if ( null !== $configured ) {
			return untrailingslashit( wp_normalize_path( $configured ) );
		}
		$stored = (string) get_option( self::DIR_OPTION, '' );
		if ( '' !== $stored ) {
			return $stored;
		}
		$chosen = self::choose_directory();
		update_option( self::DIR_OPTION, $chosen, true );
		return $chosen;
	}

	/** True when the folder lies outside the WordPress tree, the content and uploads folders and the document root. */
	public static function is_outside_web_root( string $dir ): bool {
		$dir   = trailingslashit( wp_normalize_path( $dir ) );
		$roots = array( ABSPATH, WP_CONTENT_DIR, wp_get_upload_dir()['basedir'] );
		if ( ! empty( $_SERVER['DOCUMENT_ROOT'] ) ) {
			$roots[] = sanitize_text_field( wp_unslash( $_SERVER['DOCUMENT_ROOT'] ) );
		}
		foreach ( $roots as $root ) {
			$real = realpath( (string) $root );
			foreach ( array_filter( array( (string) $root, false === $real ? '' : $real ) ) as $path ) {
				if ( str_starts_with( $dir, trailingslashit( wp_normalize_path( $path ) ) ) ) {
					return false;
				}
			}
		}
		return true;
	}

	private static function choose_directory(): string {
		$name       = 'goldcoin-protected-' . bin2hex( random_bytes( 12 ) );
		$candidates = array( dirname( WP_CONTENT_DIR ), dirname( untrailingslashit( ABSPATH ) ) );
		/** Filters the parent folders tried, in order, for protected storage outside the web root. */
		$candidates = (array) apply_filters( 'goldcoin_protected_dir_candidates', $candidates );
		foreach ( $candidates as $parent ) {
			$dir = untrailingslashit( wp_normalize_path( (string) $parent ) ) . '/' . $name;
			if ( is_dir( (string) $parent ) && wp_is_writable( (string) $parent ) && self::is_outside_web_root( $dir ) ) {
				return $dir;
			}
		}
		return untrailingslashit( wp_normalize_path( wp_get_upload_dir()['basedir'] ) ) . '/' . $name;
	}

	/** Every folder protected files were ever kept in, the current one last. */
	public static function known_directories(): array {
		$dirs   = array_values( array_filter( (array) get_option( self::HISTORY_OPTION, array() ), 'is_string' ) );
		$legacy = array() === $dirs ? (string) get_option( self::LEGACY_OPTION, '' ) : '';
		if ( preg_match( '/^goldcoin-protected-[a-f0-9]{24}$/', $legacy ) ) {
			array_unshift( $dirs, untrailingslashit( wp_normalize_path( wp_get_upload_dir()['basedir'] ) ) . '/' . $legacy );
		}
		$dirs[] = self::directory();
		return array_values( array_unique( $dirs ) );
	}

	/** Resolved paths, so neither "../" in a stored path nor a symlink can point outside a protected folder. */
	public static function is_protected( string $path ): bool {
		$real = '' === $path ? false : realpath( $path );
		if ( false === $real ) {
			return false;
		}
		foreach ( self::known_directories() as $dir ) {
			$resolved = realpath( $dir );
			if ( false !== $resolved && str_starts_with( wp_normalize_path( $real ), trailingslashit( wp_normalize_path( $resolved ) ) ) ) {
				return true;
			}
		}
		return false;
	}

	private static function ensure_directory( string $dir ): bool {
		if ( ! wp_mkdir_p( $dir ) ) {
			return false;
		}
		// Outside the web root these change nothing; inside uploads they are all Apache and IIS honour.
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

	/** Moves the attachment's file into the current protected folder; a file already there is left alone. */
	public static function protect( int $attachment_id ) {
		$path = (string) get_attached_file( $attachment_id, true );
		$dir  = self::directory();
		if ( self::is_inside( $path, $dir ) ) {
			update_post_meta( $attachment_id, self::MARK_META, 1 );
			return true;
		}
		if ( '' === $path || ! is_file( $path ) ) {
			return new WP_Error( 'goldcoin_missing_file', __( 'The EA file is missing from the uploads folder.', 'goldcoin' ) );
		}
		if ( ! self::ensure_directory( $dir ) ) {
			return new WP_Error( 'goldcoin_protected_dir', __( 'The protected folder for EA files cannot be created.', 'goldcoin' ) );
		}
		self::remember( $dir );
		// One folder per attachment keeps the uploaded name, which is the name buyers download.
		$folder = $dir . '/' . $attachment_id;
		if ( ! wp_mkdir_p( $folder ) ) {
			return new WP_Error( 'goldcoin_protected_dir', __( 'The protected folder for EA files cannot be created.', 'goldcoin' ) );
		}
		$target = $folder . '/' . wp_unique_filename( $folder, sanitize_file_name( wp_basename( $path ) ) );
		if ( ! self::move( $path, $target ) ) {
			return new WP_Error( 'goldcoin_move_failed', __( 'The EA file could not be moved to protected storage.', 'goldcoin' ) );
		}
		$old_folder = dirname( $path );
		update_attached_file( $attachment_id, $target );
		// Absolute even inside uploads: a later change of the uploads path must not re-point it.
		update_post_meta( $attachment_id, '_wp_attached_file', wp_normalize_path( $target ) );
		update_post_meta( $attachment_id, self::MARK_META, 1 );
		if ( self::is_protected_folder( $old_folder ) ) {
			@rmdir( $old_folder ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- the attachment's own old folder, removed only when empty
		}
		/** Fires after a protected EA file moved into protected storage. */
		do_action( 'goldcoin_file_protected', $attachment_id, $target, $path );
		return true;
	}

	/** rename() cannot cross file systems; a copy then an unlink can. */
	private static function move( string $from, string $to ): bool {
		if ( @rename( $from, $to ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- the fallback below handles it
			return true;
		}
		if ( ! @copy( $from, $to ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- the caller reports it
			return false;
		}
		if ( ! @unlink( $from ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- a copy left behind would stay public: undo
			wp_delete_file( $to );
			return false;
		}
		return true;
	}

	private static function is_inside( string $path, string $dir ): bool {
		$real     = '' === $path ? false : realpath( $path );
		$resolved = realpath( $dir );
		return false !== $real && false !== $resolved && str_starts_with( wp_normalize_path( $real ), trailingslashit( wp_normalize_path( $resolved ) ) );
	}

	/** An attachment's own folder (<protected>/<id>) inside a known protected folder. */
	private static function is_protected_folder( string $folder ): bool {
		return preg_match( '#/[0-9]+$#', $folder ) && self::is_protected( $folder . '/.' );
	}

	private static function remember( string $dir ): void {
		$dirs = array_values( array_filter( (array) get_option( self::HISTORY_OPTION, array() ), 'is_string' ) );
		if ( end( $dirs ) !== $dir ) {
			$dirs   = array_values( array_diff( $dirs, array( $dir ) ) );
			$dirs[] = $dir;
			update_option( self::HISTORY_OPTION, $dirs, true );
		}
	}

	/** Every attachment that is or was protected: marked ones and every EA file a post names. */
	public static function protected_attachments(): array {
		global $wpdb;
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT DISTINCT CAST(meta_value AS UNSIGNED) FROM {$wpdb->postmeta} WHERE meta_key = %s UNION SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s",
				Goldcoin_Meta_Box::FILE_KEY,
				self::MARK_META
			)
		);
		return array_values( array_filter( array_map( 'intval', $ids ), static fn ( int $id ): bool => $id > 0 && 'attachment' === get_post_type( $id ) ) );
	}

	/**
	 * When the folder changed (the constant was set, changed or removed), moves every protected file out of
	 * the earlier folders into the current one, once, under a lock so concurrent requests do not race.
	 */
	public static function follow_directory_change(): void {
		$history = (array) get_option( self::HISTORY_OPTION, array() );
		$current = self::directory();
		// Every request passes here: two autoloaded options, no query, unless the folder changed.
		if ( end( $history ) === $current ) {
			return;
		}
		// Only a site upgraded from a version that kept files under uploads has this name and no history.
		$legacy = array() === $history ? (string) get_option( self::LEGACY_OPTION, '' ) : '';
		if ( ! add_option( self::LOCK, time(), '', false ) ) {
			if ( (int) get_option( self::LOCK ) > time() - self::LOCK_S ) {
				return;
			}
			update_option( self::LOCK, time(), false );
		}
		$moved = self::move_all_into( $current );
		if ( $moved ) {
			self::remember( $current );
			// The legacy folder is in the history now; its name alone no longer needs an option.
			if ( '' !== $legacy ) {
				$dirs = array_values( array_diff( (array) get_option( self::HISTORY_OPTION, array() ), array( $current ) ) );
				array_unshift( $dirs, untrailingslashit( wp_normalize_path( wp_get_upload_dir()['basedir'] ) ) . '/' . $legacy );
				$dirs[] = $current;
				update_option( self::HISTORY_OPTION, array_values( array_unique( $dirs ) ), true );
				delete_option( self::LEGACY_OPTION );
			}
		}
		delete_option( self::LOCK );
	}

	/** Returns false when some file could not move: the change is tried again on a later request. */
	private static function move_all_into( string $current ): bool {
		$ok          = true;
		$current_out = self::is_outside_web_root( $current );
		foreach ( self::protected_attachments() as $id ) {
			$path = (string) get_attached_file( $id, true );
			if ( self::is_inside( $path, $current ) || ! self::is_protected( $path ) ) {
				continue;
			}
			// Never from a folder no server reaches into one a server might (the uploads fallback).
			if ( ! $current_out && self::is_outside_web_root( dirname( $path ) ) ) {
				continue;
			}
			if ( true !== self::protect( $id ) ) {
				$ok = false;
			}
		}
		return $ok;
	}

	/** A protected file has no public URL; links point at the attachment page instead. */
	public static function hide_url( $url, $attachment_id ) {
		$id = (int) $attachment_id;
		if ( get_post_meta( $id, self::MARK_META, true ) ) {
			return get_attachment_link( $id );
		}
		// Absolute: inside uploads, WordPress stores the path relative to the uploads folder.
		return self::is_protected( (string) get_attached_file( $id, true ) ) ? get_attachment_link( $id ) : $url;
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
