<?php
/**
 * The editors' meta box: a post's coin price (_goldcoin_price), its EA file (_goldcoin_file, an attachment ID),
 * and the EA's licence settings (_goldcoin_ea_*). The sidecar reads them from the post meta table.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Meta_Box {
	const PRICE_KEY       = '_goldcoin_price';
	const FILE_KEY        = '_goldcoin_file';
	/** free, discount or only; the sidecar prices members' unlocks from it (sidecar/src/spending/prices.ts). */
	const VIP_MODE_KEY    = '_goldcoin_vip';
	const VIP_PRICE_KEY   = '_goldcoin_vip_price';
	const ACCESS_DAYS_KEY = '_goldcoin_access_days';
	const DL_LIMIT_KEY    = '_goldcoin_download_limit';
	const VIP_MODES       = array( 'free', 'discount', 'only' );
	/** The licence settings sidecar/src/licences/terms.ts reads: no product ID, no licence. */
	const EA_PRODUCT_KEY      = '_goldcoin_ea_product';
	const EA_ACTIVATIONS_KEY  = '_goldcoin_ea_max_activations';
	const EA_DEMO_FREE_KEY    = '_goldcoin_ea_demo_free';
	const EA_LICENCE_DAYS_KEY = '_goldcoin_ea_licence_days';
	/** PRODUCT_ID_PATTERN, DEFAULT_MAX_ACTIVATIONS, MAX_MAX_ACTIVATIONS and MAX_LICENCE_DAYS in terms.ts. */
	const EA_PRODUCT_PATTERN      = '/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/';
	const EA_DEFAULT_ACTIVATIONS  = 3;
	const EA_MAX_ACTIVATIONS      = 100;
	const EA_MAX_LICENCE_DAYS     = 36500;
	/** MAX_ACCESS_DAYS and MAX_DOWNLOAD_LIMIT in sidecar/src/spending/prices.ts. */
	const MAX_ACCESS_DAYS = 3650;
	const MAX_DL_LIMIT    = 10000;
	const NONCE_ACTION    = 'goldcoin_save_meta';
	const NONCE_FIELD     = 'goldcoin_meta_nonce';
	const UPLOAD_FIELD    = 'goldcoin_file_upload';
	/** The sidecar's largest price (MAX_PRICE_COINS in sidecar/src/spending/prices.ts): above it a post would never sell. */
	const MAX_PRICE_COINS = 100000000;
	const MAX_CHOICES     = 200;
	/** MetaTrader programs, sources and settings; WordPress refuses unknown extensions otherwise. */
	const EA_MIMES = array(
		'ex4' => 'application/octet-stream',
		'ex5' => 'application/octet-stream',
		'mq4' => 'text/plain',
		'mq5' => 'text/plain',
		'set' => 'text/plain',
	);

	public static function register(): void {
		add_action( 'init', array( __CLASS__, 'register_meta' ) );
		add_action( 'add_meta_boxes', array( __CLASS__, 'add' ) );
		add_action( 'post_edit_form_tag', array( __CLASS__, 'form_enctype' ) );
		add_action( 'save_post', array( __CLASS__, 'save' ), 10, 2 );
		add_filter( 'upload_mimes', array( __CLASS__, 'upload_mimes' ) );
	}

	public static function post_types(): array {
		return (array) apply_filters( 'goldcoin_post_types', array( 'post', 'page' ) );
	}

	public static function register_meta(): void {
		$auth = static fn ( $allowed, $meta_key, $post_id ): bool => current_user_can( 'edit_post', (int) $post_id );
		foreach ( self::post_types() as $type ) {
			register_post_meta(
				$type,
				self::PRICE_KEY,
				array( 'type' => 'integer', 'single' => true, 'sanitize_callback' => array( __CLASS__, 'sanitize_price' ), 'auth_callback' => $auth, 'show_in_rest' => false )
			);
			foreach ( array( self::VIP_PRICE_KEY, self::ACCESS_DAYS_KEY, self::DL_LIMIT_KEY, self::EA_ACTIVATIONS_KEY, self::EA_LICENCE_DAYS_KEY, self::EA_DEMO_FREE_KEY ) as $key ) {
				register_post_meta( $type, $key, array( 'type' => 'integer', 'single' => true, 'sanitize_callback' => 'absint', 'auth_callback' => $auth, 'show_in_rest' => false ) );
			}
			register_post_meta(
				$type,
				self::VIP_MODE_KEY,
				array( 'type' => 'string', 'single' => true, 'sanitize_callback' => array( __CLASS__, 'sanitize_vip_mode' ), 'auth_callback' => $auth, 'show_in_rest' => false )
			);
			register_post_meta(
				$type,
				self::EA_PRODUCT_KEY,
				array( 'type' => 'string', 'single' => true, 'sanitize_callback' => array( __CLASS__, 'sanitize_product' ), 'auth_callback' => $auth, 'show_in_rest' => false )
			);
			register_post_meta(
				$type,
				self::FILE_KEY,
				// Only save() writes it, after checking the user may use that attachment: custom fields (XML-RPC) never may.
				array( 'type' => 'integer', 'single' => true, 'sanitize_callback' => 'absint', 'auth_callback' => '__return_false', 'show_in_rest' => false )
			);
		}
	}

	/**
	 * A whole number of coins up to the sidecar's largest price; anything else (negative, decimal, text,
	 * too large) is 0, not for sale, rather than a price nobody set.
	 */
	public static function sanitize_price( $value ): int {
		$text = is_int( $value ) ? (string) $value : ( is_string( $value ) ? trim( $value ) : '' );
		return ctype_digit( $text ) && strlen( $text ) <= 12 && (int) $text <= self::MAX_PRICE_COINS ? (int) $text : 0;
	}

	/** One of the known modes, or '' (no VIP rule). */
	public static function sanitize_vip_mode( $value ): string {
		$mode = is_string( $value ) ? sanitize_key( $value ) : '';
		return in_array( $mode, self::VIP_MODES, true ) ? $mode : '';
	}

	/** A product ID the sidecar accepts, or '' (no licence). */
	public static function sanitize_product( $value ): string {
		$text = is_string( $value ) ? trim( $value ) : '';
		return 1 === preg_match( self::EA_PRODUCT_PATTERN, $text ) ? $text : '';
	}

	public static function upload_mimes( array $mimes ): array {
		foreach ( self::EA_MIMES as $ext => $mime ) {
			$mimes[ $ext ] = $mimes[ $ext ] ?? $mime;
		}
		return $mimes;
	}

	public static function add(): void {
		foreach ( self::post_types() as $type ) {
			add_meta_box( 'goldcoin', __( 'Gold Coins', 'goldcoin' ), array( __CLASS__, 'render' ), $type, 'side' );
		}
	}

	/** The classic editor's form needs it for the upload field; the block editor sends meta boxes as FormData. */
	public static function form_enctype( $post ): void {
		if ( $post instanceof WP_Post && in_array( $post->post_type, self::post_types(), true ) ) {
			echo ' enctype="multipart/form-data"';
		}
	}

	public static function render( WP_Post $post ): void {
		$price   = get_post_meta( $post->ID, self::PRICE_KEY, true );
		$file_id = (int) get_post_meta( $post->ID, self::FILE_KEY, true );
		$query   = array(
			'post_type'      => 'attachment',
			'post_status'    => 'inherit',
			'posts_per_page' => self::MAX_CHOICES,
			'orderby'        => 'date',
			'order'          => 'DESC',
			'no_found_rows'  => true,
		);
		if ( ! current_user_can( 'edit_others_posts' ) ) {
			$query['author'] = get_current_user_id();
		}
		$choices = get_posts( $query );
		if ( $file_id > 0 && ! in_array( $file_id, wp_list_pluck( $choices, 'ID' ), true ) && get_post( $file_id ) ) {
			array_unshift( $choices, get_post( $file_id ) );
		}
		$error = get_transient( 'goldcoin_meta_error_' . get_current_user_id() );
		if ( is_string( $error ) && '' !== $error ) {
			delete_transient( 'goldcoin_meta_error_' . get_current_user_id() );
		}
		Goldcoin_Templates::render(
			'meta-box',
			array(
				'post'          => $post,
				'price'         => '' === $price ? '' : (string) (int) $price,
				'max_price'     => self::MAX_PRICE_COINS,
				'vip_mode'      => self::sanitize_vip_mode( get_post_meta( $post->ID, self::VIP_MODE_KEY, true ) ),
				'vip_price'     => self::int_meta( $post->ID, self::VIP_PRICE_KEY ),
				'access_days'   => self::int_meta( $post->ID, self::ACCESS_DAYS_KEY ),
				'dl_limit'      => self::int_meta( $post->ID, self::DL_LIMIT_KEY ),
				'max_days'      => self::MAX_ACCESS_DAYS,
				'max_dl_limit'  => self::MAX_DL_LIMIT,
				'ea_product'    => self::sanitize_product( get_post_meta( $post->ID, self::EA_PRODUCT_KEY, true ) ),
				'ea_activations' => self::int_meta( $post->ID, self::EA_ACTIVATIONS_KEY ),
				'ea_default_activations' => self::EA_DEFAULT_ACTIVATIONS,
				'ea_max_activations' => self::EA_MAX_ACTIVATIONS,
				'ea_demo_free'  => '1' === (string) get_post_meta( $post->ID, self::EA_DEMO_FREE_KEY, true ),
				'ea_licence_days' => self::int_meta( $post->ID, self::EA_LICENCE_DAYS_KEY ),
				'ea_max_licence_days' => self::EA_MAX_LICENCE_DAYS,
				'ea_versions'   => '' === self::sanitize_product( get_post_meta( $post->ID, self::EA_PRODUCT_KEY, true ) ) ? array() : Goldcoin_Ea_Versions::history( $post->ID ),
				'file_id'       => $file_id,
				'choices'       => $choices,
				'can_upload'    => current_user_can( 'upload_files' ),
				'upload_field'  => self::UPLOAD_FIELD,
				'nonce_action'  => self::NONCE_ACTION,
				'nonce_field'   => self::NONCE_FIELD,
				'error'         => is_string( $error ) ? $error : '',
				// A buyer of such a post would pay and get nothing.
				'sells_nothing' => (int) $price > 0 && 0 === $file_id && ! Goldcoin_Premium::has_hidden( (string) $post->post_content ),
			)
		);
	}

	public static function save( int $post_id, WP_Post $post ): void {
		if ( ! isset( $_POST[ self::NONCE_FIELD ] ) || ! wp_verify_nonce( sanitize_key( wp_unslash( $_POST[ self::NONCE_FIELD ] ) ), self::NONCE_ACTION ) ) {
			return;
		}
		if ( wp_is_post_autosave( $post_id ) || wp_is_post_revision( $post_id ) || ! in_array( $post->post_type, self::post_types(), true ) ) {
			return;
		}
		if ( ! current_user_can( 'edit_post', $post_id ) ) {
			return;
		}

		$price = isset( $_POST['goldcoin_price'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['goldcoin_price'] ) ) ) : '';
		if ( '' === $price || ! ctype_digit( $price ) || 0 === (int) $price ) {
			delete_post_meta( $post_id, self::PRICE_KEY );
		} elseif ( strlen( $price ) > 12 || (int) $price > self::MAX_PRICE_COINS ) {
			/* translators: %s: the largest price, a number of coins */
			self::remember_error( sprintf( __( 'The price was not changed: it can be at most %s coins.', 'goldcoin' ), number_format_i18n( self::MAX_PRICE_COINS ) ) );
		} else {
			update_post_meta( $post_id, self::PRICE_KEY, self::sanitize_price( $price ) );
		}

		self::save_vip_fields( $post_id );
		self::save_licence_fields( $post_id );

		$file_id = isset( $_POST['goldcoin_file'] ) ? absint( $_POST['goldcoin_file'] ) : 0;
		if ( self::has_upload() && current_user_can( 'upload_files' ) ) {
			$file_id = self::handle_upload( $post_id );
		}
		if ( $file_id > 0 && self::can_attach( $file_id ) ) {
			$protected = Goldcoin_Protected_Files::protect( $file_id );
			if ( is_wp_error( $protected ) ) {
				self::remember_error( $protected->get_error_message() );
				return;
			}
			update_post_meta( $post_id, self::FILE_KEY, $file_id );
			self::record_version( $post_id, $file_id );
		} elseif ( 0 === $file_id ) {
			delete_post_meta( $post_id, self::FILE_KEY );
		}
	}

	private static function int_meta( int $post_id, string $key ): string {
		$value = get_post_meta( $post_id, $key, true );
		return '' === $value || 0 === (int) $value ? '' : (string) (int) $value;
	}

	/** VIP rule, VIP price, access days and download limit: empty or 0 removes the setting. Nonce checked by save(). */
	private static function save_vip_fields( int $post_id ): void {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified in save()
		$mode = isset( $_POST['goldcoin_vip'] ) ? self::sanitize_vip_mode( sanitize_text_field( wp_unslash( $_POST['goldcoin_vip'] ) ) ) : '';
		$ints = array(
			self::VIP_PRICE_KEY   => array( 'goldcoin_vip_price', self::MAX_PRICE_COINS ),
			self::ACCESS_DAYS_KEY => array( 'goldcoin_access_days', self::MAX_ACCESS_DAYS ),
			self::DL_LIMIT_KEY    => array( 'goldcoin_download_limit', self::MAX_DL_LIMIT ),
		);
		$values = array();
		foreach ( $ints as $key => list( $field, $max ) ) {
			$raw            = isset( $_POST[ $field ] ) ? trim( sanitize_text_field( wp_unslash( $_POST[ $field ] ) ) ) : '';
			$values[ $key ] = ctype_digit( $raw ) && strlen( $raw ) <= 9 && (int) $raw <= $max ? (int) $raw : 0;
		}
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		if ( '' === $mode ) {
			delete_post_meta( $post_id, self::VIP_MODE_KEY );
		} else {
			update_post_meta( $post_id, self::VIP_MODE_KEY, $mode );
		}
		foreach ( $values as $key => $value ) {
			if ( 0 === $value ) {
				delete_post_meta( $post_id, $key );
			} else {
				update_post_meta( $post_id, $key, $value );
			}
		}
		if ( 'discount' === $mode && 0 === $values[ self::VIP_PRICE_KEY ] ) {
			self::remember_error( __( 'A VIP price needs a number of coins: members pay the normal price until one is set.', 'goldcoin' ) );
		}
	}

	/** Product ID, activations, demo accounts and licence days: empty or 0 removes a setting. Nonce checked by save(). */
	private static function save_licence_fields( int $post_id ): void {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified in save()
		$product = isset( $_POST['goldcoin_ea_product'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['goldcoin_ea_product'] ) ) ) : '';
		$ints    = array(
			self::EA_ACTIVATIONS_KEY  => array( 'goldcoin_ea_max_activations', self::EA_MAX_ACTIVATIONS ),
			self::EA_LICENCE_DAYS_KEY => array( 'goldcoin_ea_licence_days', self::EA_MAX_LICENCE_DAYS ),
		);
		$values  = array( self::EA_DEMO_FREE_KEY => isset( $_POST['goldcoin_ea_demo_free'] ) ? 1 : 0 );
		foreach ( $ints as $key => list( $field, $max ) ) {
			$raw            = isset( $_POST[ $field ] ) ? trim( sanitize_text_field( wp_unslash( $_POST[ $field ] ) ) ) : '';
			$values[ $key ] = ctype_digit( $raw ) && strlen( $raw ) <= 9 && (int) $raw <= $max ? (int) $raw : 0;
		}
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		if ( '' === $product ) {
			delete_post_meta( $post_id, self::EA_PRODUCT_KEY );
		} elseif ( '' === self::sanitize_product( $product ) ) {
			self::remember_error( __( 'The EA product ID was not changed: use letters, digits, dots, dashes and underscores (at most 64).', 'goldcoin' ) );
		} else {
			update_post_meta( $post_id, self::EA_PRODUCT_KEY, $product );
		}
		foreach ( $values as $key => $value ) {
			if ( 0 === $value ) {
				delete_post_meta( $post_id, $key );
			} else {
				update_post_meta( $post_id, $key, $value );
			}
		}
	}

	/** A version number typed beside the file records that file as a new version (and notifies its buyers). */
	private static function record_version( int $post_id, int $file_id ): void {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified in save()
		$version = isset( $_POST['goldcoin_ea_version'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['goldcoin_ea_version'] ) ) ) : '';
		$notes   = isset( $_POST['goldcoin_ea_notes'] ) ? sanitize_textarea_field( wp_unslash( $_POST['goldcoin_ea_notes'] ) ) : '';
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		if ( '' === $version ) {
			return;
		}
		if ( ! Goldcoin_Ea_Versions::is_version( $version ) ) {
			self::remember_error( __( 'The version number was not recorded: use digits, letters, dots and dashes, such as 3.1.0.', 'goldcoin' ) );
			return;
		}
		$error = Goldcoin_Ea_Versions::publish( $post_id, $file_id, $version, $notes );
		if ( '' !== $error ) {
			self::remember_error( $error );
		}
	}

	private static function has_upload(): bool {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified in save()
		return isset( $_FILES[ self::UPLOAD_FIELD ]['error'] ) && UPLOAD_ERR_OK === $_FILES[ self::UPLOAD_FIELD ]['error'];
	}

	private static function handle_upload( int $post_id ): int {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';
		$id = media_handle_upload( self::UPLOAD_FIELD, $post_id, array(), array( 'test_form' => false ) );
		if ( is_wp_error( $id ) ) {
			self::remember_error( $id->get_error_message() );
			return -1;
		}
		return (int) $id;
	}

	private static function can_attach( int $file_id ): bool {
		$attachment = get_post( $file_id );
		return $attachment instanceof WP_Post && 'attachment' === $attachment->post_type && current_user_can( 'edit_post', $file_id );
	}

	private static function remember_error( string $message ): void {
		set_transient( 'goldcoin_meta_error_' . get_current_user_id(), $message, MINUTE_IN_SECONDS );
	}
}
