<?php
/**
 * Settings: the options page (markup in templates/settings-page.php), and where each setting comes from (a wp-config constant or the
 * environment override the stored option, so a deployment can share the JWT secret with the sidecar).
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Settings {
	const OPTION         = 'goldcoin_settings';
	const SECRET_OPTION  = 'goldcoin_jwt_secret';
	const PAGE           = 'goldcoin-settings';
	const SECRET_BYTES   = 32;
	const MIN_SECRET_LEN = 32;

	public static function register(): void {
		add_action( 'admin_init', array( __CLASS__, 'register_setting' ) );
		add_action( 'admin_post_goldcoin_regenerate_secret', array( __CLASS__, 'handle_regenerate_secret' ) );
	}

	/** Activation: a site gets its own secret so tokens work before anyone opens the settings page. */
	public static function activate(): void {
		if ( '' === self::stored_secret() ) {
			self::regenerate_secret();
		}
		if ( false === get_option( self::OPTION ) ) {
			add_option( self::OPTION, self::defaults() );
		}
		// The protected folder is chosen (and earlier files moved into it) before any file needs it.
		Goldcoin_Protected_Files::follow_directory_change();
	}

	public static function defaults(): array {
		return array(
			'sidecar_url'              => '',
			'widget_url'               => '',
			'referral_cookie_days'     => 30,
			'premium_url'              => '',
			'delete_data_on_uninstall'  => false,
			'delete_files_on_uninstall' => false,
		);
	}

	public static function options(): array {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::defaults(), is_array( $stored ) ? $stored : array() );
	}

	/** A constant wins over the environment, which wins over the stored option. */
	public static function override( string $name ): ?string {
		if ( defined( $name ) && '' !== (string) constant( $name ) ) {
			return (string) constant( $name );
		}
		$env = getenv( $name );
		return ( false !== $env && '' !== $env ) ? $env : null;
	}

	public static function is_overridden( string $name ): bool {
		return null !== self::override( $name );
	}

	public static function sidecar_url(): string {
		return untrailingslashit( self::override( 'GOLDCOIN_SIDECAR_URL' ) ?? (string) self::options()['sidecar_url'] );
	}

	public static function widget_url(): string {
		$url = self::override( 'GOLDCOIN_WIDGET_URL' ) ?? (string) self::options()['widget_url'];
		return '' !== $url ? $url : plugins_url( 'assets/goldcoin.js', GOLDCOIN_PLUGIN_FILE );
	}

	/** Where "go to premium content" leads after a recharge on the standalone page; '' = the page the visitor came from. */
	public static function premium_url(): string {
		return self::override( 'GOLDCOIN_PREMIUM_URL' ) ?? (string) self::options()['premium_url'];
	}

	/** The admin bundle (every view plus the admin view) sits next to the visitor bundle. */
	public static function admin_widget_url(): string {
		$url = self::override( 'GOLDCOIN_ADMIN_WIDGET_URL' );
		if ( null !== $url ) {
			return $url;
		}
		$visitor = self::widget_url();
		$admin   = preg_replace( '#goldcoin\.js(\?.*)?$#', 'goldcoin-admin.js$1', $visitor );
		return is_string( $admin ) && $admin !== $visitor ? $admin : plugins_url( 'assets/goldcoin-admin.js', GOLDCOIN_PLUGIN_FILE );
	}

	public static function jwt_secret(): string {
		return self::override( 'GOLDCOIN_JWT_SECRET' ) ?? self::stored_secret();
	}

	private static function stored_secret(): string {
		return (string) get_option( self::SECRET_OPTION, '' );
	}

	/** The plugin cannot talk to the sidecar until both ends share a long enough secret and a URL. */
	public static function is_configured(): bool {
		return strlen( self::jwt_secret() ) >= self::MIN_SECRET_LEN && '' !== self::sidecar_url();
	}

	public static function regenerate_secret(): void {
		update_option( self::SECRET_OPTION, bin2hex( random_bytes( self::SECRET_BYTES ) ), false );
	}

	public static function register_setting(): void {
		register_setting(
			self::PAGE,
			self::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => self::defaults(),
			)
		);
	}

	public static function sanitize( $input ): array {
		$input = is_array( $input ) ? $input : array();
		$out   = self::options();
		foreach ( array( 'sidecar_url', 'widget_url', 'premium_url' ) as $key ) {
			if ( isset( $input[ $key ] ) ) {
				$out[ $key ] = esc_url_raw( trim( wp_unslash( (string) $input[ $key ] ) ), array( 'http', 'https' ) );
			}
		}
		if ( isset( $input['referral_cookie_days'] ) ) {
			$out['referral_cookie_days'] = max( 1, min( Goldcoin_Referrals::MAX_DAYS, absint( $input['referral_cookie_days'] ) ) );
		}
		// Earlier versions stored a currency here that nothing read; prices come from the sidecar.
		unset( $out['currency'] );
		$out['delete_data_on_uninstall']  = ! empty( $input['delete_data_on_uninstall'] );
		$out['delete_files_on_uninstall'] = ! empty( $input['delete_files_on_uninstall'] );
		return $out;
	}

	public static function handle_regenerate_secret(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'goldcoin' ), 403 );
		}
		check_admin_referer( 'goldcoin_regenerate_secret' );
		self::regenerate_secret();
		wp_safe_redirect( add_query_arg( array( 'page' => self::PAGE, 'goldcoin-secret' => 'regenerated' ), admin_url( 'admin.php' ) ) );
		exit;
	}

	public static function render_page(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$dir = Goldcoin_Protected_Files::directory();
		Goldcoin_Templates::render(
			'settings-page',
			array(
				'options'          => self::options(),
				'option_name'      => self::OPTION,
				'page'             => self::PAGE,
				// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only
				'secret_renewed'   => isset( $_GET['goldcoin-secret'] ),
				'secret_from_site' => self::is_overridden( 'GOLDCOIN_JWT_SECRET' ),
				'secret_is_set'    => strlen( self::stored_secret() ) >= self::MIN_SECRET_LEN,
				'protected_dir'    => $dir,
				'protected_safe'   => Goldcoin_Protected_Files::is_outside_web_root( $dir ),
				'protected_fixed'  => self::is_overridden( 'GOLDCOIN_PROTECTED_DIR' ),
				'check'            => Goldcoin_Check::take_result(),
			)
		);
	}

	/** One URL row of the settings table: the constant's value when the site sets it, else an input. */
	public static function url_row( string $key, string $constant, string $label, string $value, string $help ): void {
		$id = 'goldcoin-' . str_replace( '_', '-', $key );
		?>
		<tr>
			<th scope="row"><label for="<?php echo esc_attr( $id ); ?>"><?php echo esc_html( $label ); ?></label></th>
			<td>
				<?php if ( self::is_overridden( $constant ) ) : ?>
					<code><?php echo esc_html( (string) self::override( $constant ) ); ?></code>
					<p class="description">
					<?php
					/* translators: %s: the name of a PHP constant */
					echo esc_html( sprintf( __( 'Set by %s in the site configuration.', 'goldcoin' ), $constant ) );
					?>
					</p>
				<?php else : ?>
					<input id="<?php echo esc_attr( $id ); ?>" name="<?php echo esc_attr( self::OPTION . '[' . $key . ']' ); ?>" type="url" class="regular-text" value="<?php echo esc_attr( $value ); ?>" />
					<p class="description"><?php echo esc_html( $help ); ?></p>
				<?php endif; ?>
			</td>
		</tr>
		<?php
	}
}
