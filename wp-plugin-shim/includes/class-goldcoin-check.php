<?php
/**
 * The settings page's Check button: asks the sidecar's doctor (POST /api/admin/doctor) with a token this site minted,
 * so the answer itself proves the JWT secret and issuer match, and shows each finding with its fix.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Check {
	const ACTION = 'goldcoin_check';
	/** Every check the sidecar runs; a long one (CoinPayments, SMTP) may take its full timeout. */
	const TIMEOUT_S = 45;
	/** The last result is kept per user for the redirect back to the settings page. */
	const RESULT_TTL_S = 300;

	public static function register(): void {
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'handle' ) );
	}

	private static function transient( int $user_id ): string {
		return 'goldcoin_check_' . $user_id;
	}

	public static function handle(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'goldcoin' ), 403 );
		}
		check_admin_referer( self::ACTION );
		set_transient( self::transient( get_current_user_id() ), self::run(), self::RESULT_TTL_S );
		wp_safe_redirect( add_query_arg( array( 'page' => Goldcoin_Settings::PAGE, 'goldcoin-check' => '1' ), admin_url( 'admin.php' ) ) );
		exit;
	}

	/** The last result for the current user, once: it is shown on the page the redirect lands on. */
	public static function take_result(): ?array {
		$key    = self::transient( get_current_user_id() );
		$result = get_transient( $key );
		if ( false === $result ) {
			return null;
		}
		delete_transient( $key );
		return is_array( $result ) ? $result : null;
	}

	/**
	 * @return array{ok: bool, checks: array<int, array{id: string, ok: bool, detail: string, fix?: string}>}
	 */
	private static function run(): array {
		$url = Goldcoin_Settings::sidecar_url();
		if ( '' === $url ) {
			return self::one( 'sidecar', __( 'No sidecar URL is set.', 'goldcoin' ), __( 'Set the Sidecar URL above, or GOLDCOIN_SIDECAR_URL in wp-config.php.', 'goldcoin' ) );
		}
		$token = Goldcoin_Tokens::mint_for_current_user( 0, 'admin' );
		if ( null === $token ) {
			return self::one( 'jwt', __( 'This site has no JWT secret of at least 32 bytes.', 'goldcoin' ), __( 'Define GOLDCOIN_JWT_SECRET in wp-config.php with the sidecar\'s secret.', 'goldcoin' ) );
		}
		$response = wp_remote_post(
			$url . '/api/admin/doctor',
			array(
				'timeout'     => self::TIMEOUT_S,
				'redirection' => 0,
				'headers'     => array( 'Authorization' => 'Bearer ' . $token ),
			)
		);
		if ( is_wp_error( $response ) ) {
			/* translators: 1: the sidecar URL, 2: the error */
			return self::one( 'sidecar', sprintf( __( 'The sidecar did not answer at %1$s: %2$s', 'goldcoin' ), $url, $response->get_error_message() ), __( 'Check the Sidecar URL and that this server reaches it.', 'goldcoin' ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( 401 === $status ) {
			/* translators: %s: the site's home URL, the token issuer */
			$fix = sprintf( __( 'Give the sidecar the same GOLDCOIN_JWT_SECRET as wp-config.php, and WP_HOME=%s.', 'goldcoin' ), Goldcoin_Tokens::issuer() );
			return self::one( 'jwt', __( 'The sidecar refused this site\'s token.', 'goldcoin' ), $fix );
		}
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 !== $status || ! is_array( $body ) || ! isset( $body['checks'] ) || ! is_array( $body['checks'] ) ) {
			/* translators: %d: an HTTP status code */
			return self::one( 'sidecar', sprintf( __( 'The sidecar answered HTTP %d, not a check report.', 'goldcoin' ), $status ), __( 'Check that the Sidecar URL points at the Gold Coins sidecar, at its current version.', 'goldcoin' ) );
		}
		$checks = array();
		foreach ( $body['checks'] as $c ) {
			if ( is_array( $c ) && isset( $c['id'], $c['detail'] ) ) {
				$checks[] = array(
					'id'     => (string) $c['id'],
					'ok'     => ! empty( $c['ok'] ),
					'detail' => (string) $c['detail'],
					'fix'    => isset( $c['fix'] ) ? (string) $c['fix'] : '',
				);
			}
		}
		return array(
			'ok'     => ! empty( $body['ok'] ),
			'checks' => $checks,
		);
	}

	private static function one( string $id, string $detail, string $fix ): array {
		return array(
			'ok'     => false,
			'checks' => array(
				array(
					'id'     => $id,
					'ok'     => false,
					'detail' => $detail,
					'fix'    => $fix,
				),
			),
		);
	}

	/** The translated name of a check (the sidecar's findings themselves are technical English naming settings). */
	public static function label( string $id ): string {
		$labels = array(
			'sidecar'    => __( 'Sidecar', 'goldcoin' ),
			'database'   => __( 'Database', 'goldcoin' ),
			'grants'     => __( 'Database grants', 'goldcoin' ),
			'migrations' => __( 'Migrations', 'goldcoin' ),
			'jwt'        => __( 'JWT secret', 'goldcoin' ),
			'cors'       => __( 'CORS', 'goldcoin' ),
			'payments'   => __( 'Payment provider', 'goldcoin' ),
			'webhook'    => __( 'IPN / webhook URL', 'goldcoin' ),
			'smtp'       => __( 'Email (SMTP)', 'goldcoin' ),
		);
		return $labels[ $id ] ?? $id;
	}
}
